# Seed 001's PowerShell request without -SkipCertificateCheck (see .ci/tls_trust_check.sh):
# prints the new job's status; fails when the service's certificate is not trusted.
param([int]$Port, [string]$Key, [string]$ScriptId)
$ErrorActionPreference = "Stop"
$headers = @{ "X-API-Key" = $Key }
$body = @{ scriptId = $ScriptId } | ConvertTo-Json
$job = Invoke-RestMethod -Method POST `
  -Uri "https://127.0.0.1:$Port/v1/jobs" `
  -Headers $headers `
  -ContentType "application/json" `
  -Body $body
Write-Output $job.status
