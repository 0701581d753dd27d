"""The site's two callables (and the billing e-mail) for ``RECUR``.

::

    RECUR = {
        "OWNER_MODEL": "teams.Team",
        "OWNER_FOR_REQUEST": "tests.teams.billing.team_for_request",
        "CAN_MANAGE_BILLING": "tests.teams.billing.can_manage_team_billing",
        "OWNER_EMAIL": "tests.teams.billing.team_email",
    }
"""

from __future__ import annotations

from typing import Any

from tests.teams.models import Membership, Team

#: The session key holding the team the user works in (set by the site's team switcher).
SESSION_KEY = "team_id"


def team_for_request(request: Any) -> Team | None:
    """The team the request acts for: ``?team=<id>``, else the team chosen in the session,
    else the user's first team — only ever one the user is a member of. An outsider who
    names a team gets ``None`` (answered like an anonymous request)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    named = request.GET.get("team") or request.session.get(SESSION_KEY)
    memberships = Membership.objects.filter(user=user).select_related("team").order_by("pk")
    if named:
        if not str(named).isdigit():
            return None
        memberships = memberships.filter(team_id=int(named))
    membership = memberships.first()
    return membership.team if membership is not None else None


def can_manage_team_billing(user: Any, team: Team) -> bool:
    """Only the team's admins start checkouts, open the portal and see its payments."""
    return Membership.objects.filter(team=team, user=user, role=Membership.Role.ADMIN).exists()


def team_email(team: Team) -> str:
    """Where Recur and the receipts write to: the team's billing address."""
    return team.billing_email
