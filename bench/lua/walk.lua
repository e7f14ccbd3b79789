-- Walks a paged list: request i asks for page (i mod #tokens) + 1 of
-- BENCH_PATH, using the nextPageToken values the harness collected by walking
-- the list once (BENCH_TOKENS, comma-separated; the first is "" for page 1).
-- Every page of the walk is requested equally often.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
setup = common.setup
done = common.done

local requests_by_page = {}
local next_page = 1

function init(args)
  common.init_thread()
  local path = common.env("BENCH_PATH")
  local tokens = common.env("BENCH_TOKENS") .. ","
  for token in tokens:gmatch("([^,]*),") do
    local url = path
    if token ~= "" then url = path .. "&nextPageToken=" .. token end
    table.insert(requests_by_page, wrk.format("GET", url))
  end
  next_page = (thread_id or 1) % #requests_by_page + 1
end

function request()
  local r = requests_by_page[next_page]
  next_page = next_page % #requests_by_page + 1
  return r
end
