@echo off
rem check-service, run straight from a git checkout on Windows.
python "%~dp0check-service" %*
exit /b %ERRORLEVEL%
