import { createTransport, type Transporter } from 'nodemailer';
import type { NotificationsConfig } from '../notify-config.js';
import type { NotificationMessage } from '../message.js';

export interface EmailSender {
  send(to: string, message: NotificationMessage): Promise<void>;
  close(): void;
}

/** Email over SMTP (nodemailer); the transport is built on first use, from the config's smtp section. */
export function emailSender(smtp: NotificationsConfig['smtp']): EmailSender {
  let transport: Transporter | undefined;
  return {
    async send(to, message) {
      if (!smtp) throw new Error('no notifications.smtp in the cloud config: cannot send email');
      transport ??= createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure ?? false,
        ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 30_000,
      });
      await transport.sendMail({ from: smtp.from, to, subject: message.subject, text: message.text });
    },
    close() {
      transport?.close();
      transport = undefined;
    },
  };
}
