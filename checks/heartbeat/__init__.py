"""check-heartbeat: is the newest sign of life fresh enough?"""
