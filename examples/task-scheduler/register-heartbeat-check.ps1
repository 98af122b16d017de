# Registers a Task Scheduler task that checks a heartbeat file every 5 minutes and writes
# the result to the Application event log when it is not OK.
# Requires: pip install cronchecks  (check-heartbeat.exe is then on PATH, in Python's Scripts folder)

$check = (Get-Command check-heartbeat.exe).Source
$script = @"
`$out = & '$check' --file 'C:\jobs\nightly\last-run.beat' -w 25h -c 26h
if (`$LASTEXITCODE -ne 0) {
    if (-not [System.Diagnostics.EventLog]::SourceExists('cronchecks')) { New-EventLog -LogName Application -Source cronchecks }
    Write-EventLog -LogName Application -Source cronchecks -EntryType Warning -EventId (1000 + `$LASTEXITCODE) -Message `$out
}
exit `$LASTEXITCODE
"@
$scriptPath = 'C:\ProgramData\cronchecks\nightly-heartbeat.ps1'
New-Item -ItemType Directory -Force -Path (Split-Path $scriptPath) | Out-Null
Set-Content -Path $scriptPath -Value $script -Encoding UTF8

$action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument "-NoProfile -NonInteractive -ExecutionPolicy Bypass -File `"$scriptPath`""
$trigger = New-ScheduledTaskTrigger -Once -At (Get-Date) -RepetitionInterval (New-TimeSpan -Minutes 5)
$settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit (New-TimeSpan -Minutes 2) -MultipleInstances IgnoreNew
Register-ScheduledTask -TaskName 'cronchecks nightly heartbeat' -Action $action -Trigger $trigger -Settings $settings -Description 'check-heartbeat on the nightly job'
