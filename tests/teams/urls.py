from django.urls import path

from tests.teams import views
from tests.urls import urlpatterns as base

urlpatterns = [
    *base,
    path("team/reports/", views.reports, name="team-reports"),
    path("team/dashboard/", views.dashboard, name="team-dashboard"),
    path("api/team/reports/", views.ReportsAPI.as_view(), name="team-reports-api"),
]
