def returns_seed(report, users):
    pass
