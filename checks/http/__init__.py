"""check-http: does an HTTP(S) endpoint answer as expected?"""
