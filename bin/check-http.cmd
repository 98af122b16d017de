@echo off
rem check-http, run straight from a git checkout on Windows.
python "%~dp0check-http" %*
exit /b %ERRORLEVEL%
