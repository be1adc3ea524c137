"""The portal's pages, one module per job: signing in, looking an order up, the orders, a
parcel's tracking page and the notification preferences."""
