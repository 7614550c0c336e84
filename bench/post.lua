-- post.lua - wrk script: POST BENCH_BODY as JSON with Authorization BENCH_AUTH.
--   BENCH_BODY  the JSON body (required)
--   BENCH_AUTH  the full Authorization header value (optional)
-- Usage: BENCH_BODY='{"identity":"alice","detail_id":"d-77"}' BENCH_AUTH="Basic ..." \
--        wrk -s bench/post.lua URL
local body = os.getenv("BENCH_BODY")
if body == nil or body == "" then
   io.stderr:write("post.lua: BENCH_BODY is not set\n")
   os.exit(2)
end

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
local auth = os.getenv("BENCH_AUTH")
if auth ~= nil and auth ~= "" then
   wrk.headers["Authorization"] = auth
end
-- No response() hook (see validate.lua): run.sh fails the run on any non-2xx.
