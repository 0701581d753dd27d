from django.urls import path

from example_project.shop import views

app_name = "shop"

urlpatterns = [
    path("", views.pricing, name="pricing"),
    path("credits/", views.credits, name="credits"),
    path("account/", views.account, name="account"),
]
