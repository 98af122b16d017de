"""What several rooms use and no check owns: processes, HTTP, files, locks, secrets, time, JSONPath, SQL."""
