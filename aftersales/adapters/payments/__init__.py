"""Payment providers behind aftersales.service.refunds.PaymentProvider."""
