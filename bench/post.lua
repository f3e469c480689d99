-- wrk script: POST the JSON envelope in the file named by BENCH_BODY, as Alexa would. Each request
-- comes from one of BENCH_USERS runners (default 1000): the test user id in the envelope is replaced,
-- so per-user state behaves as under real traffic rather than one user's row taking every write.
local path = os.getenv("BENCH_BODY")
local file = assert(io.open(path, "r"), "BENCH_BODY must name a JSON envelope file")
local body = file:read("*a")
file:close()
local users = tonumber(os.getenv("BENCH_USERS") or "1000")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
  local personal = body:gsub("TESTUSER", "BENCH" .. math.random(users))
  return wrk.format("POST", nil, nil, personal)
end
