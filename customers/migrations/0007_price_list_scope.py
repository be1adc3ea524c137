import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


def group_links_move(apps, schema_editor):
    """Each group's one price list becomes a list of that group; a list shared by several groups
    is copied for every group after the first (a list now belongs to one group)."""
    CustomerGroup = apps.get_model("customers", "CustomerGroup")
    PriceList = apps.get_model("customers", "PriceList")
    PriceListItem = apps.get_model("customers", "PriceListItem")
    for group in CustomerGroup.objects.exclude(price_list=None).select_related("price_list").order_by("id"):
        price_list = group.price_list
        if price_list.customer_group_id is None:
            price_list.customer_group_id = group.pk
            price_list.save(update_fields=["customer_group"])
            continue
        copy = PriceList.objects.create(
            code=f"{price_list.code[:20]}-{group.code}"[:32], name=f"{price_list.name} ({group.name})"[:120],
            currency=price_list.currency, customer_group_id=group.pk,
        )
        PriceListItem.objects.bulk_create(
            [PriceListItem(price_list=copy, sku=item.sku, price=item.price) for item in PriceListItem.objects.filter(price_list=price_list)]
        )


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0006_customer_external_id'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='pricelist',
            options={'ordering': ['code']},
        ),
        migrations.AlterModelOptions(
            name='pricelistitem',
            options={'ordering': ['price_list', 'sku', 'min_quantity']},
        ),
        migrations.RemoveConstraint(
            model_name='pricelistitem',
            name='price_list_sku_unique',
        ),
        migrations.AddField(
            model_name='pricelist',
            name='customer',
            field=models.ForeignKey(blank=True, help_text="One customer's own prices: they override the group's list for the SKUs it covers.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='price_lists', to='customers.customer'),
        ),
        migrations.AddField(
            model_name='pricelist',
            name='customer_group',
            field=models.ForeignKey(blank=True, help_text='The group whose customers buy at these prices.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='price_lists', to='customers.customergroup'),
        ),
        migrations.AddField(
            model_name='pricelist',
            name='valid_from',
            field=models.DateField(blank=True, help_text='First day the prices apply. Empty: from the start.', null=True),
        ),
        migrations.AddField(
            model_name='pricelist',
            name='valid_until',
            field=models.DateField(blank=True, help_text='Last day the prices apply. Empty: until further notice.', null=True),
        ),
        migrations.AddField(
            model_name='pricelistitem',
            name='min_quantity',
            field=models.PositiveIntegerField(default=1, help_text='The price applies to lines of at least this many units (1: every line).', validators=[django.core.validators.MinValueValidator(1)], verbose_name='from quantity'),
        ),
        migrations.RunPython(group_links_move, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='customergroup',
            name='price_list',
        ),
        migrations.AddIndex(
            model_name='pricelistitem',
            index=models.Index(fields=['sku', 'price_list'], name='price_list_item_sku'),
        ),
        migrations.AddConstraint(
            model_name='pricelist',
            constraint=models.CheckConstraint(condition=models.Q(('customer_group__isnull', True), ('customer__isnull', True), _connector='OR'), name='price_list_group_or_customer'),
        ),
        migrations.AddConstraint(
            model_name='pricelist',
            constraint=models.CheckConstraint(condition=models.Q(('valid_from__isnull', True), ('valid_until__isnull', True), ('valid_until__gte', models.F('valid_from')), _connector='OR'), name='price_list_dates_in_order'),
        ),
        migrations.AddConstraint(
            model_name='pricelistitem',
            constraint=models.UniqueConstraint(fields=('price_list', 'sku', 'min_quantity'), name='price_list_sku_break_unique'),
        ),
        migrations.AddConstraint(
            model_name='pricelistitem',
            constraint=models.CheckConstraint(condition=models.Q(('min_quantity__gte', 1)), name='price_list_break_positive'),
        ),
        migrations.AddConstraint(
            model_name='pricelistitem',
            constraint=models.CheckConstraint(condition=models.Q(('price__gte', 0)), name='price_list_price_not_negative'),
        ),
    ]
