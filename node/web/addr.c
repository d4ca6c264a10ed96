/* addr.c — the addresses of `raison web`: --listen's HOST:PORT, whether a
 * host is loopback (only loopback is served without TLS), the socket
 * address to bind, and the check of every request's Host header against
 * the address the server answers for (DNS rebinding: a page of another
 * site whose name was made to point here must not reach the API). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "web/web_private.h"

int rsn_web_parse_listen(const char *text, char host[RSN_WEB_HOST_MAX], uint16_t *port)
{
    const char *colon = strrchr(text, ':');
    const char *h = text;
    size_t hlen = colon ? (size_t)(colon - text) : 0;
    if (!colon || hlen == 0) {
        return RSN_ERR_INVALID_ARG;
    }
    if (h[0] == '[') {
        if (hlen < 3 || h[hlen - 1] != ']') {
            return RSN_ERR_INVALID_ARG;
        }
        h++;
        hlen -= 2;
    } else if (memchr(h, ':', hlen)) {
        return RSN_ERR_INVALID_ARG; /* a v6 address needs its brackets */
    }
    char *end = NULL;
    errno = 0;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (hlen >= RSN_WEB_HOST_MAX || errno || !end || *end || colon[1] == '\0' || p == 0 ||
        p > 65535) {
        return RSN_ERR_INVALID_ARG;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (uint16_t)p;
    return 0;
}

bool rsn_web_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (strcmp(host, "localhost") == 0) {
        return true;
    }
    if (inet_pton(AF_INET, host, &a4) == 1) {
        return (ntohl(a4.s_addr) >> 24) == 127;
    }
    return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* The socket address of HOST:PORT into SS. 0 or RSN_ERR_INVALID_ARG. */
int web_resolve(const char *host, uint16_t port, struct sockaddr_storage *ss, bool *v6)
{
    struct addrinfo hints = {0}, *res = NULL;
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if (getaddrinfo(host, service, &hints, &res) != 0 || !res) {
        return RSN_ERR_INVALID_ARG;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    return 0;
}

/* True when HOSTPORT (a Host header) names HOST on PORT (a missing port is
 * the scheme's). */
static bool host_is(const char *hostport, const char *host, uint16_t port, bool tls)
{
    size_t hl = strlen(host);
    bool v6 = strchr(host, ':') != NULL;
    const char *p = hostport;
    if (v6) {
        if (p[0] != '[' || strncasecmp(p + 1, host, hl) != 0 || p[1 + hl] != ']') {
            return false;
        }
        p += hl + 2;
    } else {
        if (strncasecmp(p, host, hl) != 0) {
            return false;
        }
        p += hl;
    }
    if (*p == '\0') {
        return port == (tls ? 443 : 80);
    }
    char want[8];
    snprintf(want, sizeof want, ":%u", port);
    return strcmp(p, want) == 0;
}

/* The Host header must name this server (DNS rebinding): its listen
 * address, or a loopback name when it listens on loopback, or this
 * machine's name when it listens on every address. */
bool web_host_ok(const rsn_web_t *w, const char *hostport)
{
    const rsn_web_config_t *cfg = &w->cfg;
    if (!hostport || strlen(hostport) >= RSN_WEB_HOST_MAX + 8) {
        return false;
    }
    if (host_is(hostport, cfg->host, cfg->port, w->tls)) {
        return true;
    }
    if (rsn_web_is_loopback(cfg->host)) {
        return host_is(hostport, "localhost", cfg->port, w->tls) ||
               host_is(hostport, "127.0.0.1", cfg->port, w->tls) ||
               host_is(hostport, "::1", cfg->port, w->tls);
    }
    char name[RSN_WEB_HOST_MAX];
    bool any = strcmp(cfg->host, "0.0.0.0") == 0 || strcmp(cfg->host, "::") == 0;
    return any && gethostname(name, sizeof name) == 0 && host_is(hostport, name, cfg->port, w->tls);
}
