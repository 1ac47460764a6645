"""Pages of the payments app (mounted at the site root by merezha.urls).

The cashier's pages (desk, card, payment, receipt, shift) live in the desk app (`merezha.desk`).
"""

urlpatterns: list = []
