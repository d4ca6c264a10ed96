/* fuzz_config.c — libFuzzer target for raisond's configuration file.
 *
 * Parses the input as the text of a config file (rsn_config_parse, the code
 * `raisond --config` and SIGHUP run), then merges its peers with the command
 * line's. Whatever the bytes, nothing may crash or leak, a refusal always
 * comes with a sentence, and every peer kept has a NUL-terminated endpoint
 * that is empty or tcp:// or ipc://. */
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsn_config_t cfg = {0};
    char why[RSN_CONFIG_WHY_MAX] = "";
    int line = 0;
    int rc = rsn_config_parse(&cfg, (const char *)data, size, "fuzz.conf", &line, why, sizeof why);
    if (rc < 0 && why[0] == '\0') {
        abort();
    }
    rsn_fed_peer_conf_t peers[2 * RSN_FED_MAX_PEERS];
    size_t n = rsn_config_peers(&cfg, peers);
    if (n > RSN_FED_MAX_PEERS || cfg.n_file_peers > RSN_FED_MAX_PEERS) {
        abort();
    }
    for (size_t i = 0; i < n; i++) {
        const char *ep = peers[i].endpoint;
        if (memchr(ep, '\0', sizeof peers[i].endpoint) == NULL ||
            (ep[0] != '\0' && strncmp(ep, "tcp://", 6) != 0 && strncmp(ep, "ipc://", 6) != 0)) {
            abort();
        }
    }
    rsn_config_clear(&cfg);
    return 0;
}
