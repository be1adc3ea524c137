"""Accountant imports: products and prices, stock counts and customers from CSV or XLSX files.

A file is read (:mod:`.files`), each row checked against the database by its kind
(:mod:`.kinds`), shown as a preview, then applied through the owning apps' services
(:mod:`.services`). See the README section "Accountant imports".
"""
