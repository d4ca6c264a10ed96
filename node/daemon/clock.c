/* clock.c — an entry's effective time (the earlier of the time its author
 * claims and the time this node first received it, in 'I' of store/keys.h),
 * and the node's wall and retention clocks, for retention, timelines and
 * "last activity" (daemon/clock.h). */
#include "daemon/clock.h"

#include <stdlib.h>
#include <time.h>

#include "store/tlog.h"

#define DAY_MS 86400000ULL
#define OFFSET_DAYS_MAX 36500

uint64_t rsn_clock_wall_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

uint64_t rsn_clock_retention_ms(uint64_t now_ms)
{
    const char *knob = getenv("RAISON_RETENTION_NOW_OFFSET_DAYS");
    if (!knob || !*knob) {
        return now_ms;
    }
    char *end = NULL;
    long days = strtol(knob, &end, 10);
    if (*end != '\0' || days < 0 || days > OFFSET_DAYS_MAX) {
        return now_ms;
    }
    return now_ms + (uint64_t)days * DAY_MS;
}

uint64_t rsn_clock_effective(uint64_t claimed_ms, uint64_t received_ms)
{
    return claimed_ms < received_ms ? claimed_ms : received_ms;
}

int rsn_clock_received(rsn_store_t *store, const uint8_t id[RSN_ID_BYTES], uint64_t *received_ms)
{
    return rsn_tlog_lookup(store, id, NULL, received_ms);
}

uint64_t rsn_clock_entry_time(rsn_store_t *store, const rsn_loaded_t *l)
{
    uint64_t received = 0;
    if (rsn_clock_received(store, l->id, &received) != 0) {
        return l->entry->timestamp;
    }
    return rsn_clock_effective(l->entry->timestamp, received);
}
