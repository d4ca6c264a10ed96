/* assets.h — the web app's page, embedded in the binary at build time.
 *
 * cmake/embed_assets.cmake turns every file of node/web/static/ into a byte
 * array of the generated web_assets.c, so `raison web` serves its page from
 * the build folder and once installed alike, with no path to find; `raison
 * web --static DIR` serves a folder instead (working on the page without a
 * rebuild). */
#ifndef RSN_WEB_ASSETS_H
#define RSN_WEB_ASSETS_H

#include <stddef.h>

typedef struct {
    const char *name;          /* "app.js": a file of node/web/static/ */
    const unsigned char *data; /* its bytes (a NUL follows, not counted) */
    size_t len;
} rsn_web_asset_t;

extern const rsn_web_asset_t rsn_web_assets[]; /* sorted by name */
extern const size_t rsn_web_n_assets;

/* The embedded file NAME, or NULL. */
const rsn_web_asset_t *rsn_web_asset(const char *name);

#endif
