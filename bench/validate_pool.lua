-- validate_pool.lua - wrk script: POST {"token": T} as JSON with Basic auth,
-- T cycling through a pool of distinct tokens (bench/pool.mjs), so that no
-- answer comes from roomgate's verdict cache.
--   BENCH_POOL  file with one JWT per line (required)
--   BENCH_AUTH  the full Authorization header value (required)
-- Every request is formatted once in init(); request() only hands out the
-- next one, so the Lua cost per request is a table read (nginx gets the
-- same script in the same run).
local pool = os.getenv("BENCH_POOL")
local auth = os.getenv("BENCH_AUTH")
if pool == nil or pool == "" or auth == nil or auth == "" then
   io.stderr:write("validate_pool.lua: BENCH_POOL and BENCH_AUTH must be set\n")
   os.exit(2)
end

local reqs, n, i = {}, 0, 0

function init(args)
   local f = io.open(pool, "r")
   if f == nil then
      io.stderr:write("validate_pool.lua: cannot read " .. pool .. "\n")
      os.exit(2)
   end
   local headers = { ["Content-Type"] = "application/json", ["Authorization"] = auth }
   for line in f:lines() do
      if line:find('["\\%c]') then
         io.stderr:write("validate_pool.lua: not a plain JWT: " .. line .. "\n")
         os.exit(2)
      end
      n = n + 1
      reqs[n] = wrk.format("POST", nil, headers, '{"token":"' .. line .. '"}')
   end
   f:close()
   if n == 0 then
      io.stderr:write("validate_pool.lua: " .. pool .. " is empty\n")
      os.exit(2)
   end
end

function request()
   i = i % n + 1
   return reqs[i]
end
