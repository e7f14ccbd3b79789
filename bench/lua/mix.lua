-- A 90/10 read/write mix, chosen per request:
--   35% GET a model version by id     25% GET a registered model by id
--   15% find a registered model by name
--   15% list one model's versions (pageSize=100) filtered on a custom property
--   10% POST a new model version (as create_version.lua)
-- Seeded ranges: models BENCH_LO..BENCH_HI, versions BENCH_VLO..BENCH_VHI.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
setup = common.setup
done = common.done

local api, nonce, lo, hi, vlo, vhi
local counter = 0
local headers = {["Content-Type"] = "application/json"}

function init(args)
  common.init_thread()
  api = common.env("BENCH_API")
  nonce = common.env("BENCH_NONCE")
  lo = tonumber(common.env("BENCH_LO"))
  hi = tonumber(common.env("BENCH_HI"))
  vlo = tonumber(common.env("BENCH_VLO"))
  vhi = tonumber(common.env("BENCH_VHI"))
end

function request()
  local r = math.random(100)
  if r <= 35 then
    return wrk.format("GET", api .. "/model_versions/" .. math.random(vlo, vhi))
  elseif r <= 60 then
    return wrk.format("GET", api .. "/registered_models/" .. math.random(lo, hi))
  elseif r <= 75 then
    return wrk.format("GET", api .. "/registered_model?name=bench-model-" .. math.random(lo, hi))
  elseif r <= 90 then
    return wrk.format("GET", api .. "/registered_models/" .. math.random(lo, hi) ..
      "/versions?pageSize=100&filterQuery=framework%3D%22pytorch%22")
  end
  counter = counter + 1
  return wrk.format("POST", api .. "/model_versions", headers, string.format(
    '{"name":"x-%s-%d-%d","author":"bench","state":"LIVE","registeredModelId":"%d",' ..
    '"customProperties":{"framework":{"metadataType":"MetadataStringValue",' ..
    '"string_value":"pytorch"}}}', nonce, thread_id, counter, math.random(lo, hi)))
end
