from django.urls import path

from . import channel_catch_up, channels

urlpatterns = [
    path("channels/<str:code>/shopify/orders/", channels.ShopifyOrdersWebhookView.as_view(), name="api-channel-shopify-orders"),
    path("channels/<str:code>/woocommerce/orders/", channels.WooCommerceOrdersWebhookView.as_view(), name="api-channel-woocommerce-orders"),
    # Platforms are given these URLs by hand, so they also work without the trailing slash.
    path("channels/<str:code>/shopify/orders", channels.unlisted(channels.ShopifyOrdersWebhookView).as_view()),
    path("channels/<str:code>/woocommerce/orders", channels.unlisted(channels.WooCommerceOrdersWebhookView).as_view()),
    path("channels/<str:code>/stock-feed.csv", channels.ChannelStockFeedView.as_view(), name="api-channel-stock-feed"),
    path("channels/<str:code>/stock/resync/", channels.ChannelStockResyncView.as_view(), name="api-channel-stock-resync"),
    path("channels/<str:code>/orders/import/", channels.ChannelOrdersImportView.as_view(), name="api-channel-orders-import"),
    path("channels/<str:code>/catch-ups/", channel_catch_up.ChannelCatchUpsView.as_view(), name="api-channel-catch-ups"),
    path("channels/<str:code>/catch-ups/<int:pk>/", channel_catch_up.ChannelCatchUpDetailView.as_view(), name="api-channel-catch-up"),
]
