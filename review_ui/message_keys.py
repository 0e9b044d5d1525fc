"""Message keys that no `t("...")` or `_("...")` call spells out: pages compose them from a
code ("label." + a sentiment) or pass them along (a flash message's key). Listed here, marked
with `N_`, so that `pybabel extract` keeps them in the catalogue. Nothing imports this at run
time; a test checks that every key here is translated.
"""

from __future__ import annotations

from review_ui.i18n import N_

COMPOSED_KEYS = (
    # "action." + what was done (review page, resolved items)
    N_("action.compensated"),
    N_("action.forwarded"),
    N_("action.no_action"),
    N_("action.replied"),
    # "dept." + a department code (escalation targets, kudos, journeys)
    N_("dept.events"),
    N_("dept.food_and_beverage"),
    N_("dept.front_office"),
    N_("dept.housekeeping"),
    N_("dept.maintenance"),
    N_("dept.management"),
    # "error." + an HTTP status (error page)
    N_("error.400"),
    N_("error.403"),
    N_("error.404"),
    N_("error.409"),
    N_("error.422"),
    # "filter." + a queue facet, and the overdue facet's values
    N_("filter.department"),
    N_("filter.overdue"),
    N_("filter.reason"),
    N_("filter.sentiment"),
    N_("filter.source"),
    N_("filter.overdue.false"),
    N_("filter.overdue.true"),
    # keyboard shortcuts: the key table passes these names to _keys.html
    N_("keys.e"),
    N_("keys.help"),
    N_("keys.j"),
    N_("keys.l"),
    N_("keys.n"),
    N_("keys.p"),
    N_("keys.r"),
    N_("keys.slash"),
    N_("keys.u"),
    # "kind." + a label's kind (provenance tables)
    N_("kind.adjudication"),
    N_("kind.double_label"),
    N_("kind.queue_verdict"),
    N_("kind.relabel"),
    N_("kind.spot_check"),
    # "models.state." + a model version's state
    N_("models.state.active"),
    N_("models.state.candidate"),
    N_("models.state.retired"),
    # flash messages: page modules redirect with ?msg=<key>
    N_("msg.adjudicated"),
    N_("msg.delivery_resent"),
    N_("msg.empty"),
    N_("msg.escalated"),
    N_("msg.labelled"),
    N_("msg.promoted"),
    N_("msg.pulled_back"),
    N_("msg.released"),
    N_("msg.resolved"),
    N_("msg.resolved_empty"),
    N_("msg.rolled_back"),
    N_("msg.shadow_off"),
    N_("msg.shadow_on"),
    N_("msg.touchpoints"),
    N_("msg.webhook_deleted"),
    N_("msg.webhook_saved"),
    # "priority." + a queue item's priority
    N_("priority.1"),
    N_("priority.2"),
    N_("priority.3"),
    N_("priority.4"),
    # queue column headings: no page shows them at present
    N_("queue.col.due"),
    N_("queue.col.priority"),
    N_("queue.col.reasons"),
    N_("queue.col.review"),
    # "reason." + a routing reason code
    N_("reason.low_confidence"),
    N_("reason.mixed_signals"),
    N_("reason.model_unavailable"),
    N_("reason.negative_sentiment"),
    N_("reason.neutral_sentiment"),
    N_("reason.safety_term"),
    N_("reason.unsupported_language"),
    # "role." + a person's role
    N_("role.admin"),
    N_("role.agent"),
    N_("role.trainer"),
    # sign-in notices, passed as keys
    N_("signin.expired"),
    N_("signin.failed"),
    N_("signin.signed_out"),
    N_("signin.throttled"),
    # thresholds: "thr.group." + a group, "thr.source." + where a value came from
    N_("thr.group.default"),
    N_("thr.group.top_rating"),
    N_("thr.source.learned"),
    N_("thr.source.model"),
    N_("thr.source.pinned"),
    # trainer pages: the sub-navigation, strategies, submit buttons
    N_("train.overview"),
    N_("train.strategy.entropy"),
    N_("train.strategy.margin"),
    N_("train.submit.adjudication"),
    N_("train.submit.double_label"),
    N_("train.submit.relabel"),
    N_("train.submit.spot_check"),
    # webhooks: "webhooks.status." + a delivery's status, "webhooks.event." + an event type
    N_("webhooks.status.delivered"),
    N_("webhooks.status.failed"),
    N_("webhooks.status.pending"),
    N_("webhooks.status.sending"),
    N_("webhooks.event.model.promoted"),
    N_("webhooks.event.review.claimed"),
    N_("webhooks.event.review.escalated"),
    N_("webhooks.event.review.resolved"),
    N_("webhooks.event.review.routed"),
)
