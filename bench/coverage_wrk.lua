-- wrk's script for bench/coverage_load.py: each request asks the coverage check about a random bench
-- person (bench/eligibility.py's identity numbers: "32" and the 15-digit index, with the GB 11643 check
-- character), on 2026-06-15, INPATIENT or OUTPATIENT, with the bench provider's token.
--
--   wrk -t 2 -c 8 -d 20s -s bench/coverage_wrk.lua http://127.0.0.1:PORT -- TOKEN PERSONS CLOSE
--
-- CLOSE "1" sends `Connection: close` (a new TCP connection per lookup, as the Python clients do);
-- "0" lets the connection be kept when the server keeps it. done() prints one JSON line of figures.

local weights = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
local checks = "10X98765432"
local token, persons, headers
local counter = 0
local threads = {}

local function id_number(i)
  local stem = string.format("32%015d", i)
  local sum = 0
  for k = 1, 17 do
    sum = sum + (string.byte(stem, k) - 48) * weights[k]
  end
  local c = sum % 11 + 1
  return stem .. string.sub(checks, c, c)
end

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
  table.insert(threads, thread)
end

function init(args)
  token = args[1]
  persons = tonumber(args[2] or "1000000")
  headers = {["Authorization"] = "Token " .. token, ["Host"] = "127.0.0.1"}
  if (args[3] or "1") == "1" then
    headers["Connection"] = "close"
  end
  math.randomseed(os.time() * 1000 + (seed or 0))
end

function request()
  local visit = (math.random(2) == 1) and "INPATIENT" or "OUTPATIENT"
  local path = "/api/v1/eligibility/coverage/?id_number=" .. id_number(math.random(0, persons - 1))
               .. "&date=2026-06-15&visit_type=" .. visit
  return wrk.format("GET", path, headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non2xx": %d, "connect": %d, "read": %d, "write": %d, '
    .. '"timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
