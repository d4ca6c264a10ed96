/* report_state_test.c — the report's derived counters (daemon/report_state.h)
 * as the report reads them: a window of days with its per-day series and a
 * site's posts; a profile that moves someone to another site re-judges the
 * replies that crossed sites; a membership that makes many earlier posts
 * valid is applied in the background behind being_updated, and the figures
 * are right once it drains. Entries go through the real write path
 * (tests/support/daemon_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/ingest.h"
#include "daemon/report.h"
#include "daemon/report_state.h"
#include "daemon/views.h"
#include "support/clock.h"
#include "support/daemon_fixture.h"

#define DAY RSN_REPORT_DAY_MS

static Raison__ReportReply *report(fx_t *f, const uint8_t gid[RSN_ID_BYTES], uint32_t days,
                                   uint64_t until, const char *site)
{
    Raison__ReportRequest req = RAISON__REPORT_REQUEST__INIT;
    Raison__ReportReply *r = NULL;
    req.days = days;
    req.until = until;
    req.site = (char *)site;
    req.series = true;
    assert_int_equal(rsn_view_report_window(f->store, f->arena, gid, &req, &r), 0);
    return r;
}

static void test_window(void **state)
{
    fx_t *f = *state;
    fx_author_t *alice = fx_author_new(1), *bob = fx_author_new(2);
    uint64_t d0 = (rsn_test_wall_ms() / DAY - 10) * DAY; /* ten days ago, midnight UTC */
    uint8_t gid[RSN_ID_BYTES], p1[RSN_ID_BYTES];
    fx_put(f, alice, RAISON__KIND__KIND_PROFILE, fx_profile(f, "Alice", "paris"), d0, NULL);
    fx_put(f, bob, RAISON__KIND__KIND_PROFILE, fx_profile(f, "Bob", "berlin"), d0, NULL);
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER,
           fx_charter(f, "ops", RAISON__ACCESS__ACCESS_OPEN, "triage,docs", &alice, 1), d0, gid);
    fx_put(f, alice, RAISON__KIND__KIND_POST, fx_post(f, gid, "triage", "a", NULL), d0 + DAY, p1);
    fx_put(f, bob, RAISON__KIND__KIND_POST, fx_post(f, gid, "triage", "b", p1), d0 + 3 * DAY + 5,
           NULL);
    fx_put(f, alice, RAISON__KIND__KIND_POST, fx_post(f, gid, "docs", "c", NULL), d0 + 4 * DAY + 7,
           NULL);

    /* days 3 and 4: bob's reply across sites and alice's doc */
    Raison__ReportReply *r = report(f, gid, 2, d0 + 4 * DAY + 100, "paris");
    assert_false(r->being_updated);
    assert_int_equal(r->since, d0 + 3 * DAY);
    assert_int_equal(r->until, d0 + 5 * DAY - 1);
    assert_int_equal(r->posts, 3);
    assert_int_equal(r->site_posts, 2);
    assert_non_null(r->window);
    assert_int_equal(r->window->posts, 2);
    assert_int_equal(r->window->authors, 2);
    assert_int_equal(r->window->sites, 2);
    assert_int_equal(r->window->replies, 1);
    assert_int_equal(r->window->cross_site_replies, 1);
    assert_int_equal(r->window->last_activity, d0 + 4 * DAY + 7);
    assert_int_equal(r->window->site_posts, 1);
    assert_int_equal(r->n_days, 2);
    assert_int_equal(r->days[0]->day, (uint32_t)(d0 / DAY) + 3);
    assert_int_equal(r->days[0]->figures->posts, 1);
    assert_int_equal(r->days[0]->figures->cross_site_replies, 1);
    assert_int_equal(r->days[1]->figures->site_posts, 1);
    assert_string_equal(r->missions[0]->key, "triage");
    assert_int_equal(r->missions[0]->posts, 2);
    assert_int_equal(r->missions[0]->window->posts, 1);
    assert_int_equal(r->missions[0]->window->site_posts, 0);
    assert_int_equal(r->missions[0]->site_posts, 1);
    assert_int_equal(r->missions[1]->window->authors, 1);

    /* bob moves to paris: his reply no longer crosses sites */
    fx_put(f, bob, RAISON__KIND__KIND_PROFILE, fx_profile(f, "Bob", "paris"), d0 + 5 * DAY, NULL);
    r = report(f, gid, 2, d0 + 4 * DAY + 100, "paris");
    assert_int_equal(r->cross_site_replies, 0);
    assert_int_equal(r->sites, 1);
    assert_int_equal(r->site_posts, 3);
    assert_int_equal(r->window->cross_site_replies, 0);
    assert_int_equal(r->window->sites, 1);
    fx_author_free(alice);
    fx_author_free(bob);
}

/* The distinct authors and sites of a window to today (each one's latest
 * day, 'w' and 'x'), in the report and in the groups listing, before and
 * after a retraction takes away an author's latest post: the author counts
 * again from its earlier day, and falls out of the windows that hold only
 * the later one. */
static void test_window_latest(void **state)
{
    fx_t *f = *state;
    fx_author_t *alice = fx_author_new(1), *bob = fx_author_new(2), *carol = fx_author_new(3);
    uint64_t d0 = (rsn_test_wall_ms() / DAY - 10) * DAY;
    uint8_t gid[RSN_ID_BYTES], late[RSN_ID_BYTES];
    fx_put(f, alice, RAISON__KIND__KIND_PROFILE, fx_profile(f, "Alice", "paris"), d0, NULL);
    fx_put(f, bob, RAISON__KIND__KIND_PROFILE, fx_profile(f, "Bob", "berlin"), d0, NULL);
    fx_put(f, carol, RAISON__KIND__KIND_PROFILE, fx_profile(f, "Carol", "oslo"), d0, NULL);
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER,
           fx_charter(f, "ops", RAISON__ACCESS__ACCESS_OPEN, "triage", &alice, 1), d0, gid);
    fx_put(f, alice, RAISON__KIND__KIND_POST, fx_post(f, gid, "triage", "a", NULL), d0 + 2 * DAY,
           NULL);
    fx_put(f, bob, RAISON__KIND__KIND_POST, fx_post(f, gid, "triage", "b", NULL), d0 + 5 * DAY,
           NULL);
    fx_put(f, alice, RAISON__KIND__KIND_POST, fx_post(f, gid, "triage", "c", NULL), d0 + 8 * DAY,
           late);
    fx_put(f, carol, RAISON__KIND__KIND_POST, fx_post(f, gid, "triage", "d", NULL), d0 + 9 * DAY,
           NULL);
    static const struct {
        uint32_t days;
        uint64_t authors, sites; /* before, after the retraction */
        uint64_t authors_after, sites_after;
    } want[] = {{3, 2, 2, 1, 1}, {6, 3, 3, 2, 2}, {11, 3, 3, 3, 3}, {30, 3, 3, 3, 3}};
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
            Raison__ReportReply *r = report(f, gid, want[i].days, 0, NULL);
            assert_int_equal(r->window->authors, round ? want[i].authors_after : want[i].authors);
            assert_int_equal(r->window->sites, round ? want[i].sites_after : want[i].sites);
            assert_int_equal(r->missions[0]->window->authors, r->window->authors);
        }
        Raison__GroupsReply *g = NULL;
        assert_int_equal(rsn_view_groups(f->store, f->arena, NULL, &g), 0);
        assert_int_equal(g->n_groups, 1);
        assert_int_equal(g->groups[0]->recent_posts, round ? 3 : 4);
        assert_int_equal(g->groups[0]->recent_people, 3);
        assert_int_equal(g->groups[0]->recent_sites, 3);
        if (round == 0) {
            fx_put(f, alice, RAISON__KIND__KIND_RETRACTION, fx_retraction(f, late, false),
                   d0 + 9 * DAY + 1, NULL);
        }
    }
    /* a window that ends before later posts: the union of its days */
    Raison__ReportReply *r = report(f, gid, 4, d0 + 5 * DAY + 1, NULL);
    assert_int_equal(r->window->posts, 2);
    assert_int_equal(r->window->authors, 2);
    fx_author_free(alice);
    fx_author_free(bob);
    fx_author_free(carol);
}

static void test_being_updated(void **state)
{
    fx_t *f = *state;
    fx_author_t *alice = fx_author_new(1), *bob = fx_author_new(2);
    uint64_t t = rsn_test_wall_ms() - DAY;
    rsn_test_signed_t charter;
    rsn_ingest_result_t res;
    char why[256] = "";
    /* the charter v1 is signed (its id is the group's) but arrives last */
    assert_int_equal(
        rsn_test_author_sign(
            f->arena, alice, 1, RAISON__KIND__KIND_CHARTER,
            &fx_charter(f, "late", RAISON__ACCESS__ACCESS_OPEN, "audit", &alice, 1)->base, t,
            &charter),
        0);
    enum { POSTS = 45 }; /* more than a derive step re-judges at once (32) */
    for (int i = 0; i < POSTS; i++) {
        fx_put(f, bob, RAISON__KIND__KIND_POST, fx_post(f, charter.id, "audit", "early", NULL),
               t + 1 + i, NULL);
    }
    Raison__ReportReply *r = NULL;
    assert_int_equal(rsn_view_report(f->store, f->arena, charter.id, &r), RSN_ERR_UNKNOWN_GROUP);
    assert_int_equal(rsn_test_store_stage(f, &charter, &res, why, sizeof why), 0);
    assert_int_equal(rsn_ingest_commit(f->ingest), 0);
    assert_int_equal(rsn_view_report(f->store, f->arena, charter.id, &r), 0);
    assert_true(r->being_updated);
    assert_int_equal(r->posts, 32); /* the share re-judged in the charter's own step */
    assert_int_equal(rsn_report_groups_updating(f->store), 1);
    bool more = true;
    while (more) {
        assert_int_equal(rsn_ingest_derive(f->ingest, 16, &more), 0);
    }
    assert_int_equal(rsn_view_report(f->store, f->arena, charter.id, &r), 0);
    assert_false(r->being_updated);
    assert_int_equal(r->posts, POSTS);
    assert_int_equal(r->authors, 1);
    assert_int_equal(r->missions[0]->last_activity, t + POSTS);
    assert_int_equal(rsn_report_groups_updating(f->store), 0);
    fx_author_free(alice);
    fx_author_free(bob);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_window, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_window_latest, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_being_updated, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
