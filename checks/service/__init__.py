"""check-service: is a unit, process, pidfile, port or Windows service up?"""
