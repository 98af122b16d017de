@echo off
rem check-heartbeat, run straight from a git checkout on Windows.
python "%~dp0check-heartbeat" %*
exit /b %ERRORLEVEL%
