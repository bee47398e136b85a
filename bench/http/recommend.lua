-- wrk script: every request is one user's POST /recommend with a fresh random history.
-- ITEMS (item count of the model, IDs "0".."ITEMS-1"), HISTORY (items per history) and K come
-- from the environment; defaults match ML-20M (20,108 items, ~86 items per user, k = 100).
local items = tonumber(os.getenv("ITEMS") or "20108")
local history = tonumber(os.getenv("HISTORY") or "86")
local k = tonumber(os.getenv("K") or "100")

-- Bodies are prepared up front so the client spends its CPU on sending, not on building JSON.
local bodies = {}
local count = 512

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
  for b = 1, count do
    local ids = {}
    for i = 1, history do ids[i] = tostring(math.random(0, items - 1)) end
    bodies[b] = '{"items":[' .. table.concat(ids, ",") .. '],"k":' .. k .. '}'
  end
end

local n = 0
function request()
  n = n % count + 1
  return wrk.format("POST", "/recommend", { ["Content-Type"] = "application/json" }, bodies[n])
end

local failures = 0
function response(status, headers, body)
  if status ~= 200 then failures = failures + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("non-2xx or socket errors: %d\n",
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
