@echo off
rem %~n0, run straight from a git checkout on Windows: bin\cronchecks runs as the name of this file.
set "CRONCHECKS_LAUNCH_AS=%~n0"
python "%~dp0cronchecks" %*
exit /b %ERRORLEVEL%
