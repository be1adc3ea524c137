def channels_sync_seed(report):
    pass
