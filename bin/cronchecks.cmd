@echo off
rem cronchecks, run straight from a git checkout on Windows.
python "%~dp0cronchecks" %*
exit /b %ERRORLEVEL%
