from django.urls import path

from vool.interfaces.web import views

app_name = "web"
urlpatterns = [path("", views.start_page, name="start")]
