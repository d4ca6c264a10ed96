/* report_test.c — the value report (daemon/report.h) and the timeline
 * (daemon/timeline.h) over a real store: totals, per-mission figures,
 * retired missions, sites and cross-site replies, and posts the views do not
 * show (retracted, or breaking a rule) left out of both; time decided by
 * the effective time (the earlier of the claimed and the received time), so
 * a post dated in the future neither leads the timeline nor makes the last
 * activity. Entries go through the real write path
 * (tests/support/daemon_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/ingest.h"
#include "daemon/report.h"
#include "daemon/timeline.h"
#include "support/daemon_fixture.h"

#define OPEN RAISON__ACCESS__ACCESS_OPEN

typedef struct {
    fx_author_t *alice, *bob, *carol;
    uint8_t gid[RSN_ID_BYTES];
    uint8_t p1[RSN_ID_BYTES], reply[RSN_ID_BYTES], doc[RSN_ID_BYTES], gone[RSN_ID_BYTES];
} world_t;

/* ops: v1 missions triage and docs, v2 triage and oncall (docs retired).
 * alice (paris): p1 in triage, then a doc; bob (berlin): a reply to p1 and a
 * post he retracts; carol (no profile): a post to a mission no version has,
 * and a reply to bob's reply in oncall. */
static void build(fx_t *f, world_t *w)
{
    w->alice = fx_author_new(1);
    w->bob = fx_author_new(2);
    w->carol = fx_author_new(3);
    fx_put(f, w->alice, RAISON__KIND__KIND_PROFILE, fx_profile(f, "Alice", "paris"), 10, NULL);
    fx_put(f, w->bob, RAISON__KIND__KIND_PROFILE, fx_profile(f, "Bob", "berlin"), 10, NULL);
    fx_put(f, w->alice, RAISON__KIND__KIND_CHARTER,
           fx_charter(f, "ops", OPEN, "triage,docs", &w->alice, 1), 1000, w->gid);
    fx_put(f, w->alice, RAISON__KIND__KIND_POST, fx_post(f, w->gid, "triage", "disk full", NULL),
           1100, w->p1);
    fx_put(f, w->bob, RAISON__KIND__KIND_POST, fx_post(f, w->gid, "triage", "on it", w->p1), 1200,
           w->reply);
    fx_put(f, w->alice, RAISON__KIND__KIND_POST, fx_post(f, w->gid, "docs", "runbook", NULL), 1300,
           w->doc);
    fx_put(f, w->bob, RAISON__KIND__KIND_POST, fx_post(f, w->gid, "triage", "oops", NULL), 1400,
           w->gone);
    fx_put(f, w->bob, RAISON__KIND__KIND_RETRACTION, fx_retraction(f, w->gone, false), 1500, NULL);
    fx_put(
        f, w->alice, RAISON__KIND__KIND_CHARTER,
        fx_amend(f, fx_charter(f, "ops", OPEN, "triage,oncall", &w->alice, 1), w->gid, w->gid, 2),
        2000, NULL);
    fx_put(f, w->carol, RAISON__KIND__KIND_POST, fx_post(f, w->gid, "nowhere", "lost", NULL), 2100,
           NULL);
    fx_put(f, w->carol, RAISON__KIND__KIND_POST, fx_post(f, w->gid, "oncall", "paged", w->reply),
           2200, NULL);
}

static void world_free(world_t *w)
{
    fx_author_free(w->alice);
    fx_author_free(w->bob);
    fx_author_free(w->carol);
}

static const Raison__MissionReport *mission(const Raison__ReportReply *r, size_t i, const char *key)
{
    assert_true(i < r->n_missions);
    assert_string_equal(r->missions[i]->key, key);
    return r->missions[i];
}

static void test_report(void **state)
{
    fx_t *f = *state;
    world_t w;
    build(f, &w);
    Raison__ReportReply *r = NULL;
    assert_int_equal(rsn_view_report(f->store, f->arena, w.gid, &r), 0);
    assert_non_null(r);
    assert_string_equal(r->name, "ops");
    assert_int_equal(r->version, 2);
    assert_int_equal(r->members, 1); /* open: only the owner is listed */
    assert_int_equal(r->posts, 4);   /* not the retracted one, not "nowhere" */
    assert_int_equal(r->authors, 3);
    assert_int_equal(r->sites, 2);
    assert_int_equal(r->cross_site_replies, 1); /* bob (berlin) to alice (paris) */
    assert_int_equal(r->n_missions, 3);

    const Raison__MissionReport *m = mission(r, 0, "triage");
    assert_false(m->retired);
    assert_int_equal(m->posts, 2);
    assert_int_equal(m->authors, 2);
    assert_int_equal(m->sites, 2);
    assert_int_equal(m->replies, 1);
    assert_int_equal(m->cross_site_replies, 1);
    assert_int_equal(m->last_activity, 1200);

    m = mission(r, 1, "oncall");
    assert_false(m->retired);
    assert_int_equal(m->posts, 1);
    assert_int_equal(m->sites, 0); /* carol has no site */
    assert_int_equal(m->replies, 1);
    assert_int_equal(m->cross_site_replies, 0);
    assert_int_equal(m->last_activity, 2200);

    m = mission(r, 2, "docs");
    assert_true(m->retired);
    assert_string_equal(m->goal, "the goal of docs");
    assert_int_equal(m->posts, 1);
    assert_int_equal(m->replies, 0);

    uint8_t none[RSN_ID_BYTES];
    memset(none, 0x77, sizeof none);
    assert_int_equal(rsn_view_report(f->store, f->arena, none, &r), RSN_ERR_UNKNOWN_GROUP);
    world_free(&w);
}

static void test_timeline(void **state)
{
    fx_t *f = *state;
    world_t w;
    build(f, &w);
    Raison__TimelineRequest req = RAISON__TIMELINE_REQUEST__INIT;
    Raison__TimelineReply *t = NULL;
    char why[128] = "";
    req.mission = "";
    req.limit = 3;
    assert_int_equal(rsn_view_timeline(f->store, f->arena, w.gid, &req, &t, why, sizeof why), 0);
    assert_int_equal(t->n_posts, 3); /* newest first: paged, runbook, on it */
    assert_string_equal(t->posts[0]->text, "paged");
    assert_string_equal(t->posts[1]->text, "runbook");
    assert_string_equal(t->posts[2]->text, "on it");
    assert_string_equal(t->posts[2]->author_name, "Bob");
    assert_string_equal(t->posts[2]->author_site, "berlin");
    assert_int_equal(t->posts[2]->replies, 1);
    assert_int_equal(t->next_cursor.len, 40);

    req.cursor = t->next_cursor;
    assert_int_equal(rsn_view_timeline(f->store, f->arena, w.gid, &req, &t, why, sizeof why), 0);
    assert_int_equal(t->n_posts, 1);
    assert_memory_equal(t->posts[0]->id.data, w.p1, RSN_ID_BYTES);
    assert_int_equal(t->posts[0]->replies, 1);
    assert_int_equal(t->next_cursor.len, 0);

    /* a retired mission still has its timeline; an unknown one is refused */
    req.cursor.len = 0;
    req.cursor.data = NULL;
    req.mission = "docs";
    assert_int_equal(rsn_view_timeline(f->store, f->arena, w.gid, &req, &t, why, sizeof why), 0);
    assert_int_equal(t->n_posts, 1);
    assert_memory_equal(t->posts[0]->id.data, w.doc, RSN_ID_BYTES);
    req.mission = "nowhere";
    assert_int_equal(rsn_view_timeline(f->store, f->arena, w.gid, &req, &t, why, sizeof why),
                     RSN_ERR_UNKNOWN_MISSION);
    assert_string_equal(why, "group 'ops' has no mission 'nowhere'");

    Raison__PostView *pv = NULL;
    assert_int_equal(rsn_view_post(f->store, f->arena, w.reply, &pv), 0);
    assert_string_equal(pv->text, "on it");
    assert_int_equal(pv->replies, 1);
    assert_int_equal(rsn_view_post(f->store, f->arena, w.gone, &pv), RSN_ERR_NOT_FOUND);
    world_free(&w);
}

#define T0 1700000000000ULL               /* the ingest's clock: ms since the epoch */
#define TEN_YEARS (3653ULL * 86400000ULL) /* ahead of it */

/* Signs and stores A's next entry claimed at CLAIMED, received at RECEIVED. */
static void put_received(fx_t *f, fx_author_t *a, Raison__Kind kind, const void *body,
                         uint64_t claimed, uint64_t received, uint8_t id[RSN_ID_BYTES])
{
    rsn_ingest_set_clock(f->ingest, received);
    fx_put(f, a, kind, body, claimed, id);
    rsn_ingest_set_clock(f->ingest, 0);
}

static void test_future_claim(void **state)
{
    fx_t *f = *state;
    fx_author_t *alice = fx_author_new(1);
    uint8_t gid[RSN_ID_BYTES], early[RSN_ID_BYTES], future[RSN_ID_BYTES], late[RSN_ID_BYTES];
    put_received(f, alice, RAISON__KIND__KIND_CHARTER,
                 fx_charter(f, "ops", OPEN, "triage", &alice, 1), T0, T0, gid);
    put_received(f, alice, RAISON__KIND__KIND_POST, fx_post(f, gid, "triage", "early", NULL),
                 T0 + 1000, T0 + 1000, early);
    /* claims ten years ahead; this node received it between the other two */
    put_received(f, alice, RAISON__KIND__KIND_POST, fx_post(f, gid, "triage", "future", NULL),
                 T0 + TEN_YEARS, T0 + 2000, future);
    put_received(f, alice, RAISON__KIND__KIND_POST, fx_post(f, gid, "triage", "late", NULL),
                 T0 + 3000, T0 + 3000, late);

    Raison__TimelineRequest req = RAISON__TIMELINE_REQUEST__INIT;
    Raison__TimelineReply *t = NULL;
    char why[128] = "";
    req.mission = "";
    assert_int_equal(rsn_view_timeline(f->store, f->arena, gid, &req, &t, why, sizeof why), 0);
    assert_int_equal(t->n_posts, 3); /* by effective time, newest first */
    assert_memory_equal(t->posts[0]->id.data, late, RSN_ID_BYTES);
    assert_memory_equal(t->posts[1]->id.data, future, RSN_ID_BYTES);
    assert_memory_equal(t->posts[2]->id.data, early, RSN_ID_BYTES);
    assert_int_equal(t->posts[1]->timestamp, T0 + TEN_YEARS); /* the claim is still shown */

    /* a page boundary at the future post resumes after it */
    req.limit = 2;
    assert_int_equal(rsn_view_timeline(f->store, f->arena, gid, &req, &t, why, sizeof why), 0);
    assert_int_equal(t->n_posts, 2);
    assert_memory_equal(t->posts[1]->id.data, future, RSN_ID_BYTES);
    req.cursor = t->next_cursor;
    assert_int_equal(rsn_view_timeline(f->store, f->arena, gid, &req, &t, why, sizeof why), 0);
    assert_int_equal(t->n_posts, 1);
    assert_memory_equal(t->posts[0]->id.data, early, RSN_ID_BYTES);

    Raison__ReportReply *r = NULL;
    assert_int_equal(rsn_view_report(f->store, f->arena, gid, &r), 0);
    assert_int_equal(r->posts, 3);
    assert_int_equal(mission(r, 0, "triage")->last_activity, T0 + 3000);
    fx_author_free(alice);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_report, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_timeline, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_future_claim, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
