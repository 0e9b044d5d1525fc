"""The trainers' workspace: overview, spot-checks, blind double labels, uncertain reviews,
disagreements with the model, adjudication, agreement between people; one form handler
that records every label through `triage.verdicts.labels.add_label`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from review_ui.pages import PREFIX, ActorDep, IdentityDep, UIRoute, render
from service.web import ServicesDep, SessionDep
from triage.casework.queue_board import property_names
from triage.casework.reviews import MAX_ID
from triage.decisions import threshold_store
from triage.learning import trainer_queues, workspace
from triage.verdicts.labels import add_label

router = APIRouter(prefix=f"{PREFIX}/train", route_class=UIRoute, include_in_schema=False)
TrainMessage = Annotated[Literal["labelled", "adjudicated"] | None, Query()]
#: Where a label form may send the person back to (never another site).
BACK = r"^/ui/(train(/[a-z-]+)?|reviews/\d+)(\?strategy=(margin|entropy))?$"
PAGE = 10


@router.get("")
def overview_page(
    request: Request, who: IdentityDep, session: SessionDep, svc: ServicesDep
) -> Response:
    s = svc.settings
    board = workspace.overview(
        session,
        who.principal,
        spot_check_share=s.spot_check_share,
        double_label_share=s.double_label_share,
        miss_target=s.miss_rate_target,
        min_checks=s.miss_rate_min_checks,
    )
    names = property_names(session, who.principal)
    return render(
        request, "train.html", identity=who, board=board, names=names, target=s.miss_rate_target
    )


@router.get("/spot-checks")
def spot_check_page(
    request: Request,
    who: IdentityDep,
    session: SessionDep,
    svc: ServicesDep,
    msg: TrainMessage = None,
) -> Response:
    reviews = trainer_queues.spot_check_queue(
        session, who.principal, share=svc.settings.spot_check_share, limit=PAGE
    )
    return render(request, "train_spot.html", identity=who, reviews=reviews, msg=msg)


@router.get("/double")
def double_label_page(
    request: Request,
    who: IdentityDep,
    session: SessionDep,
    svc: ServicesDep,
    msg: TrainMessage = None,
) -> Response:
    """Blind: the page gets the reviews only, never their labels or the model's output."""
    reviews = trainer_queues.double_label_queue(
        session, who.principal, share=svc.settings.double_label_share, limit=PAGE
    )
    names = property_names(session, who.principal)
    return render(request, "train_double.html", identity=who, reviews=reviews, names=names, msg=msg)


@router.get("/uncertain")
def uncertainty_page(
    request: Request,
    who: IdentityDep,
    session: SessionDep,
    strategy: Annotated[Literal["margin", "entropy"], Query()] = "margin",
    msg: TrainMessage = None,
) -> Response:
    candidates = trainer_queues.uncertainty_queue(session, who.principal, strategy=strategy)
    return render(
        request,
        "train_uncertain.html",
        identity=who,
        candidates=candidates,
        strategy=strategy,
        msg=msg,
    )


@router.get("/disagreements")
def disagreements_page(
    request: Request, who: IdentityDep, session: SessionDep, msg: TrainMessage = None
) -> Response:
    found = trainer_queues.model_disagreements(session, who.principal, limit=PAGE * 3)
    names = workspace.emails(session, (x.user_id for d in found for x in d.labels))
    return render(
        request, "train_disagreements.html", identity=who, found=found, emails=names, msg=msg
    )


@router.get("/adjudicate")
def adjudication_page(
    request: Request, who: IdentityDep, session: SessionDep, msg: TrainMessage = None
) -> Response:
    found = trainer_queues.adjudication_queue(session, who.principal, limit=PAGE * 3)
    names = workspace.emails(session, (x.user_id for d in found for x in d.labels))
    return render(
        request, "train_adjudicate.html", identity=who, found=found, emails=names, msg=msg
    )


@router.get("/agreement")
def agreement_page(request: Request, who: IdentityDep, session: SessionDep) -> Response:
    rows = workspace.agreements(session, who.principal)
    return render(request, "train_agreement.html", identity=who, rows=rows)


@router.post("/label")
def give_label(
    session: SessionDep,
    svc: ServicesDep,
    who: ActorDep,
    review_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    label: Annotated[str, Form(max_length=16)],
    kind: Annotated[Literal["spot_check", "relabel", "double_label", "adjudication"], Form()],
    back: Annotated[str, Form(max_length=200, pattern=BACK)],
    note: Annotated[str | None, Form(max_length=2000)] = None,
    gold: Annotated[str | None, Form(max_length=8)] = None,
) -> Response:
    """Record the label (the domain checks role, scope and blindness, and audits it), and go
    back to the page it came from, where the next review waits."""
    row = add_label(
        session, who.principal, review_id, label, kind, note=note, gold=gold is not None
    )
    threshold_store.after_verdict(
        session, review_id, svc.model.current, threshold_store.rule_from(svc.settings)
    )
    msg = "adjudicated" if row.kind == "adjudication" else "labelled"
    joiner = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{joiner}msg={msg}", status_code=303)
