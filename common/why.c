/* why.c — one formatter for the reasons that go with error codes. */
#include "common/why.h"

#include <stdarg.h>
#include <stdio.h>

int rsn_why(char *why, size_t why_size, int code, const char *fmt, ...)
{
    if (why && why_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_size, fmt, ap);
        va_end(ap);
    }
    return code;
}
