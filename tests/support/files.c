/* support/files.c — temporary folders and whole files, for tests.
 *
 * Folders come from mkdtemp under /tmp with a prefix that names the test, so
 * one left behind by a crash says whose it is; removal walks the tree with
 * nftw (FTW_DEPTH | FTW_PHYS: children first, symbolic links removed, never
 * followed). */
#define _GNU_SOURCE /* nftw */
#include "support/files.h"

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int rsn_test_tmpdir_make(char *out, size_t out_size, const char *prefix)
{
    int n = snprintf(out, out_size, "/tmp/%s-XXXXXX", prefix);
    if (n < 0 || (size_t)n >= out_size) {
        return RSN_ERR_INVALID_ARG;
    }
    return mkdtemp(out) == NULL ? RSN_ERR_IO : 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int rsn_test_tmpdir_remove(const char *dir)
{
    if (dir == NULL || dir[0] == '\0') {
        return 0;
    }
    return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : RSN_ERR_IO;
}

char *rsn_test_file_read(const char *path, size_t *len)
{
    char *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0) {
        goto out;
    }
    long size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        goto out;
    }
    buf = malloc((size_t)size + 1);
    if (buf == NULL) {
        goto out;
    }
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
        goto out;
    }
    buf[size] = '\0';
    *len = (size_t)size;
out:
    fclose(f);
    return buf;
}

int rsn_test_file_write(const char *path, const void *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        return RSN_ERR_IO;
    }
    bool ok = fwrite(bytes, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    return ok ? 0 : RSN_ERR_IO;
}
