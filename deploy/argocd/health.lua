-- Argo CD health check for every mongocloud.dev kind (Lua 5.1, as Argo CD runs it).
-- Suspended when paused or plan-only (a plan waits for review); Progressing until the spec
-- generation is observed or while the cloud is in a transitional state; Degraded on a terminal
-- error, a failed backup, a password the cloud would refuse, or a missing resource the
-- management policies may not create; Healthy when Ready=True.
local hs = { status = "Progressing", message = "Waiting for the operator" }

local function condition(kind)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == kind then
      return c
    end
  end
  return nil
end

local annotations = obj.metadata.annotations
if annotations ~= nil and annotations["mongocloud.dev/paused"] == "true" then
  hs.status = "Suspended"
  hs.message = "Paused: no cloud writes while mongocloud.dev/paused is \"true\""
  return hs
end

if obj.status == nil then
  return hs
end

local synced = condition("Synced")
local ready = condition("Ready")

if annotations ~= nil and annotations["mongocloud.dev/plan-only"] == "true" then
  hs.status = "Suspended"
  hs.message = "Plan only: no cloud writes while mongocloud.dev/plan-only is \"true\""
  if synced ~= nil and synced.message ~= nil then
    hs.message = synced.message
  end
  return hs
end
if synced ~= nil and synced.status == "False" and
    (synced.reason == "TerminalError" or synced.reason == "CreateNotAllowed") then
  hs.status = "Degraded"
  hs.message = synced.message
  return hs
end
if ready ~= nil and ready.status == "False" and (ready.reason == "BackupFailed" or ready.reason == "PasswordRejected") then
  hs.status = "Degraded"
  hs.message = ready.message
  return hs
end
if obj.metadata.generation ~= nil and obj.status.observedGeneration ~= obj.metadata.generation then
  hs.message = "Waiting for the operator to observe the latest spec"
  return hs
end
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message
  return hs
end
if synced ~= nil and synced.status == "False" and synced.reason == "ReconcileError" then
  hs.status = "Degraded"
  hs.message = synced.message
  return hs
end
if obj.kind == "ProviderConfig" and ready ~= nil and ready.status == "False" then
  hs.status = "Degraded"
  hs.message = ready.reason .. ": " .. (ready.message or "")
  return hs
end
if ready ~= nil then
  hs.message = ready.reason .. ": " .. (ready.message or "")
elseif synced ~= nil then
  hs.message = synced.reason .. ": " .. (synced.message or "")
end
return hs
