-- validate.lua - wrk script: POST {"token": TOKEN} as JSON with Basic auth.
--   BENCH_TOKEN  the JWT to validate (required)
--   BENCH_AUTH   the full Authorization header value, e.g. "Basic U0s...".
--                Optional: wrk's -H 'Authorization: ...' works as well.
-- Usage: BENCH_TOKEN=... BENCH_AUTH=... wrk -s bench/validate.lua URL
local token = os.getenv("BENCH_TOKEN")
if token == nil or token == "" then
   io.stderr:write("validate.lua: BENCH_TOKEN is not set\n")
   os.exit(2)
end
if token:find('["\\%c]') then
   io.stderr:write("validate.lua: BENCH_TOKEN must be a plain JWT\n")
   os.exit(2)
end

wrk.method = "POST"
wrk.body = '{"token":"' .. token .. '"}'
wrk.headers["Content-Type"] = "application/json"
local auth = os.getenv("BENCH_AUTH")
if auth ~= nil and auth ~= "" then
   wrk.headers["Authorization"] = auth
end

-- No response() hook on purpose: it would run Lua for every answer and make
-- wrk, not the server, the bottleneck.  wrk prints "Non-2xx or 3xx
-- responses: N" by itself, and run.sh fails the run when that line appears.
