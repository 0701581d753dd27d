from django.urls import path

from example_project.shop import views

app_name = "shop"

urlpatterns = [
    path("", views.pricing, name="pricing"),
    path("credits/", views.credits, name="credits"),
    path("credits/spend/", views.spend_credits, name="spend-credits"),
    path("account/", views.account, name="account"),
    path("signup/", views.signup, name="signup"),
]
