-- POST /model_versions under a random seeded model (ids BENCH_LO..BENCH_HI),
-- with a unique name and four custom properties, as the Python client sends a
-- version. One create per request; expects 201.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
setup = common.setup
done = common.done

local api, nonce, lo, hi
local counter = 0
local headers = {["Content-Type"] = "application/json"}

function init(args)
  common.init_thread()
  api = common.env("BENCH_API")
  nonce = common.env("BENCH_NONCE")
  lo = tonumber(common.env("BENCH_LO"))
  hi = tonumber(common.env("BENCH_HI"))
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"name":"w-%s-%d-%d","author":"bench","state":"LIVE","registeredModelId":"%d",' ..
    '"customProperties":{"framework":{"metadataType":"MetadataStringValue",' ..
    '"string_value":"pytorch"},"epochs":{"metadataType":"MetadataIntValue","int_value":"%d"},' ..
    '"accuracy":{"metadataType":"MetadataDoubleValue","double_value":0.91},' ..
    '"validated":{"metadataType":"MetadataBoolValue","bool_value":true}}}',
    nonce, thread_id, counter, math.random(lo, hi), counter % 100)
  return wrk.format("POST", api .. "/model_versions", headers, body)
end

function response(status, headers, body)
  if status ~= 201 then unexpected = unexpected + 1 end
end
