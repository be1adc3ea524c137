"""Demand forecasts from the stock ledger, with statsforecast's models chosen per series.

``series`` reads demand (and stockouts, and returns) from the ledger in SQL, a batch of SKUs per
query; ``classify`` puts each series in one of Syntetos and Boylan's four classes; ``methods``
names the statsforecast models each class may use; ``backtest`` scores them by rolling-origin
MASE, picks one per series, refits it and derives its prediction interval; ``selection`` says
when a stored choice is kept and when it is made again; ``services`` runs a
whole catalogue in batches and stores the result; ``selectors`` reads it back for the SKU page
and the API, with the accuracy of past forecasts.
"""
