@echo off
rem check-integrity, run straight from a git checkout on Windows.
python "%~dp0check-integrity" %*
exit /b %ERRORLEVEL%
