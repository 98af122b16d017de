@echo off
rem check-log, run straight from a git checkout on Windows.
python "%~dp0check-log" %*
exit /b %ERRORLEVEL%
