# ecg-run as a Nomad task's entrypoint, its group's health as a script
# check.  kill_timeout must be longer than the stop bound that
# `ecg-run --check -c group.ini` prints (here 12 s, given 20 s).
job "app" {
  group "app" {
    task "app" {
      driver = "exec"

      config {
        command = "/usr/local/bin/ecg-run"
        args    = ["-c", "/etc/ecg-run/group.ini"]
      }

      kill_signal  = "SIGTERM"
      kill_timeout = "20s"

      service {
        name     = "app"
        provider = "nomad"

        check {
          type     = "script"
          name     = "ecg-run"
          command  = "/usr/local/bin/ecg-run"
          args     = ["ctl", "-c", "/etc/ecg-run/group.ini", "check"]
          interval = "10s"
          timeout  = "5s"
        }
      }
    }
  }
}
