-- GET BENCH_PATH, where each "{n}" becomes a random integer in
-- [BENCH_LO, BENCH_HI] per request (ids, names). Without "{n}" the request is
-- built once. Used for: hello, GET by id, find by name, fixed list pages.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
setup = common.setup
done = common.done

local path, lo, hi, fixed

function init(args)
  common.init_thread()
  path = common.env("BENCH_PATH")
  lo = tonumber(common.env("BENCH_LO", "1"))
  hi = tonumber(common.env("BENCH_HI", "1"))
  if not path:find("{n}", 1, true) then fixed = wrk.format("GET", path) end
end

function request()
  if fixed then return fixed end
  local n = tostring(math.random(lo, hi))
  return wrk.format("GET", (path:gsub("{n}", n)))
end
