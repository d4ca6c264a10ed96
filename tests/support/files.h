/* support/files.h — temporary folders and whole files, for tests.
 *
 * Every test that touches the disk works in a fresh folder under /tmp and
 * removes it afterwards, whatever it left inside (a LevelDB database, key
 * files, sockets). These are the two halves of that, plus reading a test-data
 * file whole. Functions return 0 or a negative rsn_err; nothing here asserts,
 * so cmocka tests, C tools and benchmarks can all use it. */
#ifndef RSN_TEST_FILES_H
#define RSN_TEST_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Longest folder name rsn_test_tmpdir_make writes ("/tmp/PREFIX-XXXXXX"). */
#define RSN_TEST_DIR_MAX 64

/* Makes a fresh folder /tmp/PREFIX-XXXXXX (mkdtemp, mode 0700) and writes its
 * name into OUT (OUT_SIZE bytes). RSN_ERR_INVALID_ARG when the name does not
 * fit, RSN_ERR_IO when mkdtemp fails. */
RSN_NODISCARD int rsn_test_tmpdir_make(char *out, size_t out_size, const char *prefix);

/* Removes DIR and everything below it (nftw, depth first, links not
 * followed). Accepts NULL and "" (nothing to do). RSN_ERR_IO when something
 * could not be removed. */
int rsn_test_tmpdir_remove(const char *dir);

/* Reads the whole file PATH into a malloc'd, NUL-terminated buffer (the
 * caller frees it) and its length into *LEN; NULL when it cannot be read. */
char *rsn_test_file_read(const char *path, size_t *len);

/* Writes LEN bytes to PATH (created or truncated, mode 0644): 0 or
 * RSN_ERR_IO. */
RSN_NODISCARD int rsn_test_file_write(const char *path, const void *bytes, size_t len);

#endif
