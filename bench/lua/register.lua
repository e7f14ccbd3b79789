-- The Python client's register_model(), step by step (docs/api-behaviour.md
-- §13.3): find RM (404), POST RM, find version (404), POST version, POST the
-- model artifact under the version. Each step needs the previous reply, so
-- this script keeps per-thread state and REQUIRES one connection per wrk
-- thread (-t N -c N). A step with an unexpected status restarts the flow with
-- a new name; `unexpected` counts those, `flows` counts completed flows.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
setup = common.setup
done = common.done

local api, nonce
local counter = 0
local step = 1
local name, rm_id, mv_id
local headers = {["Content-Type"] = "application/json"}
local expected = {404, 201, 404, 201, 201}

function init(args)
  common.init_thread()
  api = common.env("BENCH_API")
  nonce = common.env("BENCH_NONCE")
end

local function new_flow()
  counter = counter + 1
  name = string.format("r-%s-%d-%d", nonce, thread_id, counter)
  step = 1
end

function request()
  if name == nil then new_flow() end
  if step == 1 then
    return wrk.format("GET", api .. "/registered_model?name=" .. name)
  elseif step == 2 then
    return wrk.format("POST", api .. "/registered_models", headers,
      '{"name":"' .. name .. '","owner":"bench","state":"LIVE"}')
  elseif step == 3 then
    return wrk.format("GET", api .. "/model_version?name=v1&parentResourceId=" .. rm_id)
  elseif step == 4 then
    return wrk.format("POST", api .. "/model_versions", headers,
      '{"name":"v1","author":"bench","state":"LIVE","registeredModelId":"' .. rm_id .. '",' ..
      '"customProperties":{"framework":{"metadataType":"MetadataStringValue",' ..
      '"string_value":"pytorch"}}}')
  end
  return wrk.format("POST", api .. "/model_versions/" .. mv_id .. "/artifacts", headers,
    '{"artifactType":"model-artifact","name":"' .. name .. '","uri":"s3://bench/' .. name ..
    '","modelFormatName":"onnx","modelFormatVersion":"1","state":"UNKNOWN"}')
end

function response(status, headers, body)
  if status ~= expected[step] then
    unexpected = unexpected + 1
    new_flow()
    return
  end
  if step == 2 then rm_id = body:match('"id":"(%d+)"') end
  if step == 4 then mv_id = body:match('"id":"(%d+)"') end
  if step == 5 then
    flows = flows + 1
    new_flow()
  else
    step = step + 1
  end
end
