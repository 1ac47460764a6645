"""The cashier's desk pages, mounted at the site root by merezha.urls."""

from django.urls import path

from merezha.desk import views

urlpatterns = [
    path("desk/", views.desk_home, name="desk-home"),
    path("desk/search/", views.desk_search, name="desk-search"),
    path("desk/dwelling/<int:dwelling_id>/", views.desk_dwelling, name="desk-dwelling"),
    path("desk/dwelling/<int:dwelling_id>/pay/", views.desk_pay, name="desk-pay"),
    path("desk/payment/<uuid:payment_id>/", views.desk_receipt, name="desk-receipt"),
    path("desk/payment/<uuid:payment_id>/pdf/", views.desk_receipt_pdf, name="desk-receipt-pdf"),
    path("desk/payment/<uuid:payment_id>/cancel/", views.desk_cancel, name="desk-cancel"),
    path("desk/shift/", views.desk_shift, name="desk-shift"),
    path("desk/shift/pdf/", views.desk_shift_pdf, name="desk-shift-pdf"),
    path("desk/shift/close/", views.desk_close_day, name="desk-close-day"),
]
