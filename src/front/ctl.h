/*
 * ctl: ecg-run ctl, the client of a running group's control socket.
 *
 *   ecg-run ctl [-s PATH] COMMAND [ARG]...
 *
 * The socket: -s PATH, else $ECG_CONTROL (set in every task).  Exit
 * status: 0 done, 1 refused (the answer says why), 2 a usage error, 3 no
 * running group answers.
 */
#ifndef ECG_CTL_H
#define ECG_CTL_H

#define ECG_CTL_REFUSED 1
#define ECG_CTL_USAGE 2
#define ECG_CTL_NO_GROUP 3

/* argv[0] is "ctl". */
int ecg_ctl_main(int argc, char **argv);

#endif
