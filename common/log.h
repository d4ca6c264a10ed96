/* log.h — one line per notable event, to stderr.
 *
 * Lines read `2026-11-27T03:40:00.123Z raisond info: text`. Nothing secret is
 * ever passed here: keys are logged by their public half only. */
#ifndef RSN_LOG_H
#define RSN_LOG_H

#include "common/err.h"

typedef enum { RSN_LOG_DEBUG, RSN_LOG_INFO, RSN_LOG_WARN, RSN_LOG_ERROR } rsn_log_level;

/* Sets the program name shown on each line and the lowest level printed. */
void rsn_log_setup(const char *program, rsn_log_level min_level);

/* Prints one line at LEVEL. */
void rsn_log(rsn_log_level level, const char *fmt, ...) RSN_PRINTF(2, 3);

#define rsn_debug(...) rsn_log(RSN_LOG_DEBUG, __VA_ARGS__)
#define rsn_info(...) rsn_log(RSN_LOG_INFO, __VA_ARGS__)
#define rsn_warn(...) rsn_log(RSN_LOG_WARN, __VA_ARGS__)
#define rsn_error(...) rsn_log(RSN_LOG_ERROR, __VA_ARGS__)

#endif
