/* assets.c — finding a file of the embedded page (assets.h). The table is
 * generated at build time (web_assets.c) and sorted by name. */
#include "web/assets.h"

#include <stdlib.h>
#include <string.h>

static int by_name(const void *key, const void *elem)
{
    return strcmp(key, ((const rsn_web_asset_t *)elem)->name);
}

const rsn_web_asset_t *rsn_web_asset(const char *name)
{
    return bsearch(name, rsn_web_assets, rsn_web_n_assets, sizeof rsn_web_assets[0], by_name);
}
